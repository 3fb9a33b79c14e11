# DCLW: DCL with the von Mises-Fisher weight w_i = 2 - N softmax_i(s_i / sigma) (detached, mean 1) on the
# positive term, sigma 0.5; otherwise dcl_resnet18_1xb256-lars-coslr-1000e_cifar10.py.
_base_ = ['./dcl_resnet18_1xb256-lars-coslr-1000e_cifar10.py']

model = dict(loss=dict(weight_fn='vmf', sigma=0.5))
