"""Facebook Pages (Meta Graph API): adapter and spec; the fake is in
:mod:`publisher.platforms.meta`."""
