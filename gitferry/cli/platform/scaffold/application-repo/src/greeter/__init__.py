"""greeter: a small HTTP service that says hello, the example service of the platform."""
