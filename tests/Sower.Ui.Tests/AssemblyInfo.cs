// One real server and one Chromium at a time: the browser classes share two cores with the rest of the suite.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
