"""Instagram (Meta Graph API content publishing): adapter and spec; the fake is in
:mod:`publisher.platforms.meta`."""
