"""What Facebook and Instagram share: the Graph API client and error table, and the fake
Meta Graph server."""
