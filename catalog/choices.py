"""The enumerations of the Image API, with Glance's wire values."""

from django.db import models


class ImageStatus(models.TextChoices):
    QUEUED = "queued"
    SAVING = "saving"
    ACTIVE = "active"
    KILLED = "killed"  # kept, never set: docs/glance-differences.md#killed-status
    DELETED = "deleted"
    UPLOADING = "uploading"
    IMPORTING = "importing"
    PENDING_DELETE = "pending_delete"
    DEACTIVATED = "deactivated"


class Visibility(models.TextChoices):
    COMMUNITY = "community"
    PUBLIC = "public"
    PRIVATE = "private"
    SHARED = "shared"


class MemberStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class ContainerFormat(models.TextChoices):
    AMI = "ami"
    ARI = "ari"
    AKI = "aki"
    BARE = "bare"
    OVF = "ovf"
    OVA = "ova"
    DOCKER = "docker"
    COMPRESSED = "compressed"


class DiskFormat(models.TextChoices):
    AMI = "ami"
    ARI = "ari"
    AKI = "aki"
    VHD = "vhd"
    VHDX = "vhdx"
    VMDK = "vmdk"
    RAW = "raw"
    QCOW2 = "qcow2"
    VDI = "vdi"
    ISO = "iso"
    PLOOP = "ploop"


class Role(models.TextChoices):
    READER = "reader"
    MEMBER = "member"
    ADMIN = "admin"


class PublicationStatus(models.TextChoices):
    """The life of a publication request (Vitrine's approval workflow, not Glance's)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    # Closed without a decision: the image was deleted while the request was pending.
    WITHDRAWN = "withdrawn"
