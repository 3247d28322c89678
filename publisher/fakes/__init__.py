"""Local fake servers for the world outside: platforms and case sources.

They follow the public contracts (shapes, errors, limits) and run in-process over real HTTP on
loopback (:class:`publisher.fakes.server.ServerThread`), for tests and for the demo.
"""
