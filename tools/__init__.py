"""Developer tools: the fault-injection server for tests and benchmarks, the BERTScore baseline builder."""
