"""`orders audit`: gather what every part of the system says about each order (`evidence`) and
check that it agrees (`checks`)."""
