"""Business operations. Each takes its inputs explicitly, flushes, and leaves the commit to the caller."""
