"""Member photos: taken with the desk's webcam or uploaded, checked (size, type, a real image), turned upright,
shrunk to a small JPEG with Pillow and kept in the database; shown only to the member's club's staff."""
import io
from datetime import datetime

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from clubcrm.clock import utcnow
from clubcrm.errors import InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import Member, MemberPhoto, Staff
from clubcrm.services import audit
from clubcrm.services.members import refuse_erased, visible

# What a desk may send: a phone's full-size photo fits; the stored one is small.
MAX_BYTES = 8 * 1024 * 1024
# Pillow refuses to open larger images (a "decompression bomb"): 40 megapixels.
MAX_PIXELS = 40_000_000
SIDE = 480                  # the stored photo's longer side, in pixels
QUALITY = 85
FORMATS = {"JPEG", "PNG", "WEBP"}


def too_large_message():
    """What a desk is told of a file over MAX_BYTES."""
    return _l("The photo is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024))


def shrink(data: bytes) -> tuple[bytes, int, int]:
    """DATA (a JPEG, PNG or WebP) upright, at most SIDE pixels on its longer side, as a JPEG; or refuse."""
    if not data:
        raise InvalidInput("photo", _l("Choose a photo, or take one with the camera."))
    if len(data) > MAX_BYTES:
        raise InvalidInput("photo", too_large_message())
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()          # a truncated or forged file fails here
        if kind not in FORMATS:
            raise InvalidInput("photo", _l("A photo must be a JPEG, PNG or WebP image."))
        with Image.open(io.BytesIO(data)) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput("photo", _l("This file is not a photo we can read (JPEG, PNG or WebP).")) from None
    upright.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=QUALITY, optimize=True)   # no EXIF: no location or camera data kept
    return out.getvalue(), upright.width, upright.height


def save(staff: Staff, member: Member, data: bytes, now: datetime | None = None) -> MemberPhoto:
    """Set MEMBER's photo from DATA (replacing any), audited."""
    visible(staff, member)
    refuse_erased(member, "photo")
    image, width, height = shrink(data)
    now = now or utcnow()
    photo = db.session.get(MemberPhoto, member.id)
    replaced = photo is not None
    if photo is None:
        photo = MemberPhoto(member_id=member.id)
        db.session.add(photo)
    photo.image, photo.content_type, photo.width, photo.height = image, "image/jpeg", width, height
    photo.taken_by_id, photo.updated_at = staff.id, now
    member.photo_at = now
    db.session.flush()
    audit.record(staff, "update" if replaced else "create", "photo", member.id, club_id=member.club_id,
                 member_id=member.id, after={"photo": f"{width}x{height}"})
    return photo


def remove(staff: Staff, member: Member) -> bool:
    """Delete MEMBER's photo; tell whether there was one."""
    visible(staff, member)
    photo = db.session.get(MemberPhoto, member.id)
    if photo is None:
        return False
    db.session.delete(photo)
    member.photo_at = None
    db.session.flush()
    audit.record(staff, "delete", "photo", member.id, club_id=member.club_id, member_id=member.id)
    return True


def for_staff(staff: Staff, member: Member) -> MemberPhoto:
    """MEMBER's photo for STAFF of the member's own club (another club's staff, even of the chain, do not see
    it); NotFound when there is none."""
    visible(staff, member)
    photo = db.session.get(MemberPhoto, member.id) if member.photo_at is not None else None
    if photo is None:
        raise NotFound("photo", _l("No photo."))
    return photo


def erase(member_id: int) -> None:
    """Delete a member's photo as part of an erasure (the caller audits the erasure)."""
    photo = db.session.get(MemberPhoto, member_id)
    if photo is not None:
        db.session.delete(photo)
