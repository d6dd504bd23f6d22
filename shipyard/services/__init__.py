"""Cloud-neutral service logic: calls, scaling, images, secrets, routing."""
