"""orc: compile short YAML recipes into Microsoft Olive workflows, check them, and run them."""

__version__ = "0.1.0"
