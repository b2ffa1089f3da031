"""Feature transformers, composed into the one scikit-learn Pipeline every part uses."""
