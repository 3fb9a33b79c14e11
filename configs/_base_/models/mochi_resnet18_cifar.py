# MoCHi on the CIFAR MoCo v2 model (ResNet-18 CIFAR stem, queue 32768). MoCHi(N, s, s') = (1024, 1024, 128),
# the paper's ImageNet setting, mixing from epoch 15 (the paper warms up ~10-15 epochs [unverified exact value]).
_base_ = ['./mocov2_resnet18_cifar.py']
model = dict(
    type='MoCHi',
    mixer=dict(type='MoCHiMixer', num_hard=1024, num_mix=1024, num_query_mix=128, start_epoch=15),
)
