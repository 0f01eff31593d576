// GSATheory: the cost model, the paper's claims and their checks, fits and simulations.
