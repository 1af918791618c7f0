// The CLI sets process-wide libtorch state (thread count) and some tests count live native tensors:
// run the test classes one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
