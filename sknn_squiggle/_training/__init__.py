"""Training, one file per stage a batch goes through.

- :mod:`.state`: what a run reads (problem, settings) and carries over;
- :mod:`.batches`: batch size, shuffle and gather into reused buffers;
- :mod:`.validation`: the early-stopping split and its score;
- :mod:`.optimizers`: the optimizer step (sgd, adam) and its state;
- :mod:`.schedules`: the learning-rate schedules;
- :mod:`.stopping`: patience, the best parameters, the stopping messages;
- :mod:`.monitor`: the loss curve, ``history_``, verbose output, callbacks;
- :mod:`.stochastic` and :mod:`.lbfgs`: the two solvers' loops.
"""
