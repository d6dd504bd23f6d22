"""The offline engine (Pulumi mocks running the real program) and the review tools built on its plan: plan, diff, cost, graph, check, docs, urns."""
