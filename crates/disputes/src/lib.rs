//! docket projection: each dispute's parties, forum, claims, status and history.
