"""See inside any convlens model: filters, activation maps, saliency and Grad-CAM, probes that
measure translation equivariance and pooling invariance, receptive fields, parameter counts,
a self-contained HTML report, and an animation of a convolution at work.

Every function takes any convlens model (the zoo's or your own) and follows it with forward
hooks. matplotlib and Pillow are optional extras, imported only by the functions that draw.
"""

from .activations import activations, plot_activations
from .animate import animate_conv, conv_frame
from .attribution import grad_cam, overlay, saliency
from .efficiency import parameter_efficiency
from .equivariance import equivariance, pooling_invariance
from .explore import explore
from .filters import filters
from .receptive import receptive_field
from .report import report

__all__ = [
    "activations", "animate_conv", "conv_frame", "equivariance", "filters", "grad_cam",
    "overlay", "parameter_efficiency", "plot_activations", "pooling_invariance",
    "receptive_field", "report", "saliency",
    "explore",
]
