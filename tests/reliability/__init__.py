"""Reliability tests: the hook under every network and gateway fault the simulator can inject."""
