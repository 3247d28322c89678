"""Entry point: ``python -m publisher.privacy redact --input F.jsonl --output G.jsonl``."""

from publisher.privacy.cli import main

raise SystemExit(main())
