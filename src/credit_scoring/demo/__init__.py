"""Demo tooling, apart from the product code: the synthetic data generator
(:mod:`~credit_scoring.demo.generator`), the traffic simulator
(:mod:`~credit_scoring.demo.simulate`) and the browser tour of the dashboard
(:mod:`~credit_scoring.demo.browser_tour`)."""
