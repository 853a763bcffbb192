"""credit-scoring."""
