// Engine tests start real `align` processes and share the CPU: run test classes one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
