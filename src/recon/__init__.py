"""recon: reconstruction-guided reasoning synthesis for user modeling.

Nothing heavy happens at import: backends load their models when first built.

    >>> import recon
    >>> recon.__version__
    '0.1.0'
"""

__version__ = "0.1.0"
