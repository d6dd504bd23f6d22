"""Docker Swarm: the stack's target (provider, call networks) and one service per file."""
