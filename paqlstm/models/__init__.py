"""Models: each predicts the next bit from its own context, as mixer inputs.

One model per module. A model module declares its footprint, as paq8px's models do
(MIXERINPUTS, MIXERCONTEXTS):
  INPUTS                   mixer inputs it writes (stretched probabilities): a number,
                           or a function of the settings (the profile may add inputs)
  SELECTORS                ((what selects, rows), ...): the weight sets it selects
  memory(settings)         bytes its arrays take
  active(settings)         (optional) False: it sits out, its inputs and sets unused
  MAY_SIT_OUT              (optional) True: its weight sets may sit out some bits
                           (selector -1); such models come last in MODELS
  FINAL_INPUT              (optional) which of its inputs the network's final layers
                           also weigh directly (one model at most)
and its state and methods, in the predictor's call order:
  State                    a NamedTuple of NumPy arrays (its inputs and selectors are
                           views of the mixer's arrays: it writes them, never reads)
  new(settings, ctx, inputs, selected)
  predict(m, ctx)          write its inputs, and the row of each of its weight sets
                           (-1: the set sits out this bit)
  request(m, ctx)          (optional) the bit is known and the contexts moved past it:
                           ask for the table lines the next bit will read
  update(m, ctx, bit)      train on the bit; at a byte's or nibble's end move on
The predictor lists the model modules once (predictor.MODELS, which lays out the
inputs and weight sets and builds the states) and calls each phase of each model,
one line per model and phase.
"""
