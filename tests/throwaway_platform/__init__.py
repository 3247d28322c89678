"""A throwaway platform, defined outside ``publisher/`` the way a plug-in would be: the
"kentongan" (the village alarm drum) writes each post as one JSON file in a folder named by
its credentials. ``tests/test_throwaway_platform.py`` registers it and publishes through it;
docs/adding-a-platform.md walks through the same pieces."""
