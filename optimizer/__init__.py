"""panhuo's optimizer: facility-location and revitalisation models built with PuLP (CBC or HiGHS)."""
