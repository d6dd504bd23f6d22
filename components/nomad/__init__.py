"""Components of the Nomad platform (shipyard/platforms/nomad): one ComponentResource per file."""
