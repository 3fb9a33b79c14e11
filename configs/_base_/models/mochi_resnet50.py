# MoCHi(1024, 1024, 128) on MoCo v2 ResNet-50 (Kalantidis et al., NeurIPS 2020; 200-epoch ImageNet table).
# No official code: synthetic negatives are detached [unverified]; mixing starts at epoch 15 [unverified].
_base_ = ['./mocov2_resnet50.py']
model = dict(
    type='MoCHi',
    mixer=dict(type='MoCHiMixer', num_hard=1024, num_mix=1024, num_query_mix=128, start_epoch=15),
)
