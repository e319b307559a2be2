"""Jobs: a stage of work from records to an output file with its manifest and cost (synthesize, score,
predict, evaluate), each behind the cache."""
