"""Mixers: one per module. network.py mixes the models' inputs in two layers;
blend.py blends the classic chain's final probability with the byte LSTM's;
lstm_mixer.py is the plan's recurrent mixer over the models' predictions (its
kernel; not yet wired into the predictor)."""
