"""cucm-lab's adapters: the surfaces that show the model to the outside."""
