//! docket projection: who is adverse to or partnered with whom; conflicts and countersuits.
