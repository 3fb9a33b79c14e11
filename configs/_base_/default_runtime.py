# Runtime shared by every mmssl_ext config.
# default_scope='mmssl_ext': our registry first, then mmpretrain's and MMEngine's without a prefix;
# mmdet components as 'mmdet.X'.
default_scope = 'mmssl_ext'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # written to a temporary file and renamed: a run killed while saving never leaves a truncated checkpoint
    # save_best='auto': also keeps the checkpoint of the best first validation metric (knn/top1 for the
    # pre-training configs' KNNMetric, accuracy/top1 for the linear-probe configs); no validation, no best file
    checkpoint=dict(
        type='CheckpointHook',
        interval=10,
        max_keep_ckpts=3,
        save_best='auto',
        backend_args=dict(backend='mmssl_atomic_local'),
    ),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # stops on a NaN/Inf loss or parameter and never writes a non-finite checkpoint (None: off)
    non_finite=dict(type='NonFiniteGuardHook', param_interval=1),
    # refuses an empty dataset, a zero-length loop or an epoch without batches before the first step
    train_loop_guard=dict(type='TrainLoopGuardHook'),
    # checkpoints the random generators; a resumed run draws the numbers the uninterrupted one would have
    rng_state=dict(type='RNGStateHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # On machines without CUDA, tools/train.py switches to gloo by itself.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_processor = dict(window_size=10)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
