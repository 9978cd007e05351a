"""Primitives: the building blocks that know nothing of the model they serve.

coder (binary arithmetic coding), squash (the logistic domain and its clamp),
hashing, states (bit-history states), statemap (state -> probability), buckets
(hashed bit-history storage), mixing (integer dot product and its training), apm
(secondary estimation), memory (cache-line alignment and prefetch), float32
(exp / tanh / sigmoid that every CPU computes alike), training (the LSTMs'
deterministic initial weights and momentum-free Adam). Each module's header says what
it computes and how it learns, if it does.
"""
