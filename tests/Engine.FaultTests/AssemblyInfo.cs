// Each fault test runs a whole engine with its own broker and Redis on a 2-core machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
