# SimCLR, ResNet-50, 16 GPUs x batch 256, LARS + cosine, 200 epochs, ImageNet-1k, with the colour, grayscale and
# blur ops batched on the GPU (imagenet_bs32_simclr_fastaug.py); channels-last inputs. Same augmentation as
# simclr_resnet50_16xb256-lars-coslr-200e_in1k.py.
_base_ = [
    '../_base_/models/simclr_resnet50.py',
    '../_base_/datasets/imagenet_bs32_simclr_fastaug.py',
    '../_base_/schedules/imagenet_lars_coslr_200e.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=256)
data_preprocessor = dict(channels_last=True)
