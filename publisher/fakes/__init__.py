"""Local fake servers for the world outside: the server infrastructure (``server.py``, fault
injection in ``faults.py``) and the case sources' fakes. Each platform's fake lives with its
platform (``publisher/platforms/<name>/fake.py``; Meta's in ``publisher/platforms/meta/``).

They follow the public contracts (shapes, errors, limits) and run in-process over real HTTP on
loopback (:class:`publisher.fakes.server.ServerThread`), for tests and for the demo.
"""
