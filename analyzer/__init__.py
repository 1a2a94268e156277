"""trafficlint: find the API traffic anti-patterns a distributor blacklists for, in your own logs."""

__version__ = "0.1.0"
