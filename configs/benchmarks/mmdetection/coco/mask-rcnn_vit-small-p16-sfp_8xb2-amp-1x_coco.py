# COCO transfer of an APS ViT-S/16 (../../../aps/aps_vit-small-p16_32xb128-amp-coslr-300e_in1k.py): mmdet's Mask R-CNN
# 1x with the ViT as backbone and ViTDet's simple feature pyramid (stride-16 map -> strides 4/8/16/32, P6 pooled) in
# place of the ResNet-FPN; the RPN / RoI heads, data and 12-epoch step schedule are mmdet's. Optimiser as ViTDet:
# AdamW lr 1e-4, betas (0.9, 0.999), wd 0.1 (none on norms, biases, position embedding and cls token), layer-wise lr
# decay 0.7 over the 12 blocks (BackboneLayerDecayOptimWrapperConstructor: neck and heads at the base lr), drop path 0.1, AMP. The
# ViT uses global attention at the detection resolution (ViTDet adds windowed attention and 1024 LSJ: not here).
# The APS pre-trained weights load through init_cfg (prefix 'backbone.'; missing / unexpected keys are logged);
# the position embedding (14 x 14 at pre-training) is interpolated to each input's grid.
# (mmssl_ext.integrations.mmdet exports APSViT, SimpleFeaturePyramid and the layer-decay
# constructor to mmdet's registries.)
# Usage: python tools/train.py THIS_CONFIG --cfg-options model.backbone.init_cfg.checkpoint=APS_PRETRAIN.pth
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['mmssl_ext.integrations.mmdet'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='APSViT',
        arch='deit-small',
        img_size=224,
        patch_size=16,
        qkv_bias=False,
        drop_path_rate=0.1,
        final_norm=True,
        out_type='featmap',
        out_indices=(11,),
        with_cls_token=True,
        cls_pos_embed=False,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.'),
    ),
    neck=dict(
        _delete_=True,
        type='SimpleFeaturePyramid',
        in_channels=384,
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5),
        num_outs=5,
    ),
)
optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    constructor='BackboneLayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    paramwise_cfg=dict(
        layer_decay_rate=0.7,
        custom_keys={
            '.pos_embed': dict(decay_mult=0.0),
            '.cls_token': dict(decay_mult=0.0),
            '.ln': dict(decay_mult=0.0),
            '.norm': dict(decay_mult=0.0),
            '.bias': dict(decay_mult=0.0),
        },
    ),
)
auto_scale_lr = dict(enable=False, base_batch_size=16)
