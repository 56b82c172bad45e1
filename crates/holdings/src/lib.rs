//! docket projection: corporate structure over time: names, parents, acquisitions, divestments.
