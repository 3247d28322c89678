"""Case sources. Each module reads one kind of system and yields raw records; ``intake``
validates and stores them. The interface is :class:`publisher.intake.sources.base.CaseSource`."""
