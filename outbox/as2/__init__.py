"""ActivityStreams documents this node sends: plain data in, JSON-ready dicts out, no I/O."""
