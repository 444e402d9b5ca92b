"""The network's mathematics, one file per concept.

- :mod:`.activations`: each activation with its derivative, registered by name;
- :mod:`.losses`: each loss with its canonical output activation;
- :mod:`.layout`: where every layer's parameters live in one flat vector;
- :mod:`.layers`: the layers, each with its parameters, initialisation,
  forward and backward pass side by side;
- :mod:`.objective`: the one definition of the training objective ``J``;
- :mod:`.network`: a sequence of layers: forward pass, loss and gradient.
"""
