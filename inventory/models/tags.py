"""QR tags on devices and ports (issue, apply, revoke, reissue), and the identity evidence behind them (a
tag's codes, a chassis serial), revealed only on purpose to whom may see it."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from inventory import codes
from inventory.models.devices import Device, InventoryRefused, normalize_serial
from inventory.models.discrepancies import Discrepancy
from inventory.models.ports import Port
from lockstep.public import public_url


class TagStatus(models.TextChoices):
    ISSUED = "issued", "Issued (printed, not yet applied)"
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class TagQuerySet(models.QuerySet):
    def live(self) -> TagQuerySet:
        return self.exclude(status=TagStatus.REVOKED)

    def by_code(self, kind: str, value: str) -> Tag | None:
        """The tag behind a code as `codes.parse_any` returned it: ("code", long) or ("short", short)."""
        return self.filter(**{"code" if kind == "code" else "short_code": value}).first()


class Tag(models.Model):
    """A QR tag: an unguessable code bound to exactly one device or port.

    Issued when its label is printed; active once a tech has applied it and the chassis serial agreed
    (commissioning); revoked when it must never verify again. Only an active tag verifies.
    """

    code = models.CharField(max_length=codes.CODE_LENGTH, unique=True, editable=False)
    short_code = models.CharField(max_length=codes.SHORT_LENGTH, unique=True, editable=False)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="tags")
    port = models.ForeignKey(Port, null=True, blank=True, on_delete=models.PROTECT, related_name="tags")
    status = models.CharField(max_length=10, choices=TagStatus.choices, default=TagStatus.ISSUED)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commissioned_at = models.DateTimeField(null=True, blank=True)
    commissioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.CharField(max_length=300, blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(device__isnull=False) & Q(port__isnull=True))
                | (Q(device__isnull=True) & Q(port__isnull=False)),
                name="tag_bound_to_exactly_one_asset",
            ),
            models.CheckConstraint(condition=Q(status__in=TagStatus.values), name="tag_status_valid"),
            # One live (issued or active) tag per asset: two labels on one switch is how confusion starts.
            models.UniqueConstraint(
                fields=["device"], condition=~Q(status=TagStatus.REVOKED), name="one_live_tag_per_device"
            ),
            models.UniqueConstraint(
                fields=["port"], condition=~Q(status=TagStatus.REVOKED), name="one_live_tag_per_port"
            ),
        ]

    def __str__(self) -> str:
        return f"tag {codes.format_short(self.short_code)} on {self.asset}"

    def get_absolute_url(self) -> str:
        return reverse("tag", args=[self.code])

    @property
    def asset(self) -> Device | Port:
        return self.device if self.device_id else self.port

    @property
    def chassis(self) -> Device:
        """The device whose serial number is this tag's second identity (a port's own device)."""
        return self.device if self.device_id else self.port.device

    @property
    def display_short_code(self) -> str:
        return codes.format_short(self.short_code)

    def url(self) -> str:
        return public_url(f"/t/{self.code}")

    # --- who may -------------------------------------------------------------------------------------

    # Who issues, revokes and reissues tags: the views refuse anyone else by role, before anything is read.
    MANAGERS = (Role.APPROVER, Role.ADMIN)

    @staticmethod
    def may_manage(user) -> bool:
        """May `user` issue a tag for an asset, or revoke or reissue one? Approvers and admins."""
        return any(has_role(user, role) for role in Tag.MANAGERS)

    @staticmethod
    def may_label_assets(user) -> bool:
        """May `user` print labels and apply tags (commissioning)? Techs and approvers, who label the racks.
        Coordinators (customers, the desk) and admins (the system) do neither: a label in hand, stuck on a
        chassis, is what makes an asset verify, so it stays with the people whose work that is."""
        return has_role(user, Role.TECH) or has_role(user, Role.APPROVER)

    @staticmethod
    def may_reprint_labels(user) -> bool:
        """A second copy of a label already on its asset is how a label ends up on the wrong device: only an
        approver prints one."""
        return Tag.may_label_assets(user) and has_role(user, Role.APPROVER)

    @classmethod
    def issue(cls, asset: Device | Port, *, by, replaces: Tag | None = None) -> Tag:
        """Make a new tag for an asset (its label is printed next). Refused while the asset has a live tag."""
        link = {"device": asset} if isinstance(asset, Device) else {"port": asset}
        for _ in range(5):
            try:
                with transaction.atomic():
                    if cls.objects.live().filter(**link).exists():
                        raise InventoryRefused(
                            f"{asset} already has a tag. Revoke it first, or reissue it, to replace it."
                        )
                    tag = cls.objects.create(
                        code=codes.new_code(),
                        short_code=codes.new_short_code(),
                        issued_by=by,
                        replaces=replaces,
                        **link,
                    )
                    record(
                        "tag.issued",
                        actor=by,
                        obj=tag,
                        payload={"asset": str(asset), "short_code": tag.short_code},
                    )
                    return tag
            except IntegrityError:
                # A code collision (astronomically rare) or a concurrent issue for the same asset: look again.
                if cls.objects.live().filter(**link).exists():
                    raise InventoryRefused(f"{asset} already has a tag.") from None
        raise InventoryRefused("Could not make a unique tag code; try again.")

    def commission(self, *, serial: str, by) -> None:
        """Apply the tag: the chassis serial typed or scanned at the rack must agree with the inventory.

        A differing serial refuses the binding and records a discrepancy; the tag stays issued."""
        if not Tag.may_label_assets(by):
            raise InventoryRefused("Only a tech or an approver applies a tag.")
        given = normalize_serial(serial)
        if not given:
            raise InventoryRefused("Type or scan the serial number on the chassis to apply this tag.")
        with transaction.atomic():
            tag = (
                Tag.objects.select_for_update(of=("self",))
                .select_related("device", "port__device")
                .get(pk=self.pk)
            )
            if tag.status == TagStatus.ACTIVE:
                raise InventoryRefused("This tag is already applied.")
            if tag.status == TagStatus.REVOKED:
                raise InventoryRefused("This tag is revoked and can never be applied. Print its replacement.")
            chassis = tag.chassis
            expected = normalize_serial(chassis.serial)
            if not expected:
                raise InventoryRefused(
                    f"{chassis} has no serial number in the inventory, so this tag cannot be checked. "
                    "Two people read it at the rack first (on the device's page), then apply the tag."
                )
        if given != expected:
            Discrepancy.raise_for(
                kind="serial_mismatch",
                summary=f"Serial at the rack does not match {chassis} while applying its tag",
                by=by,
                expected={"device": chassis.name, "serial": chassis.serial},
                found={"serial": serial.strip()[:100]},
                device=chassis,
                port=tag.port,
                tag=tag,
            )
            raise InventoryRefused(
                f"Serial does not match: the inventory says {chassis} has a different serial number. "
                "The tag was NOT applied and a discrepancy was recorded for the approver."
            )
        with transaction.atomic():
            tag = Tag.objects.select_for_update().get(pk=self.pk)
            if tag.status != TagStatus.ISSUED:
                raise InventoryRefused("This tag changed while you were applying it; open it again.")
            tag.status = TagStatus.ACTIVE
            tag.commissioned_at = timezone.now()
            tag.commissioned_by = by
            tag.save(update_fields=["status", "commissioned_at", "commissioned_by"])
            record(
                "tag.commissioned",
                actor=by,
                obj=tag,
                payload={"asset": str(tag.asset), "serial_checked": True},
            )
        self.refresh_from_db()

    def revoke(self, *, reason: str, by) -> None:
        reason = (reason or "").strip()
        if not reason:
            raise InventoryRefused("Say why the tag is revoked (for example: label damaged, wrong asset).")
        with transaction.atomic():
            tag = Tag.objects.select_for_update().get(pk=self.pk)
            if tag.status == TagStatus.REVOKED:
                raise InventoryRefused("This tag is already revoked.")
            previous = tag.status
            tag.status = TagStatus.REVOKED
            tag.revoked_at = timezone.now()
            tag.revoked_by = by
            tag.revoke_reason = reason[:300]
            tag.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
            record(
                "tag.revoked",
                actor=by,
                obj=tag,
                payload={"asset": str(tag.asset), "was": previous, "reason": reason[:300]},
            )
        self.refresh_from_db()

    def reissue(self, *, reason: str, by) -> Tag:
        """Revoke this tag and issue its replacement for the same asset, in one step."""
        with transaction.atomic():
            self.revoke(reason=reason, by=by)
            return Tag.issue(self.asset, by=by, replaces=self)


# --- identity evidence: read at the rack, revealed here only on purpose ---------------------------------------


def may_reveal_identity(user) -> bool:
    """May `user` see a tag's code or a chassis serial in Lockstep? An approver or an admin may, one asset at
    a time, with a reason, and it is recorded (`reveal_identity`). Nobody else ever: a tech who could read
    them off a page could check a label or a serial without standing at the rack."""
    return has_role(user, Role.APPROVER) or has_role(user, Role.ADMIN)


@dataclass(frozen=True)
class Revealed:
    """What an approver asked to see about one asset: its live tag's codes and its chassis serial, and the
    serial the device itself last reported where it disagreed with the record (its discrepancy)."""

    asset: Device | Port
    chassis: Device
    serial: str
    tag: Tag | None
    reported: Discrepancy | None = None

    @property
    def reported_serial(self) -> str:
        return str((self.reported.found or {}).get("reported_by_device", "")) if self.reported else ""

    @property
    def short_code(self) -> str:
        return self.tag.display_short_code if self.tag else ""


def reveal_identity(asset: Device | Port, *, by, reason: str) -> Revealed:
    """Show `by` the codes of the asset's live tag and its chassis serial (a label to reprint, a support
    call), recording who asked, for what and why. InventoryRefused for anyone `may_reveal_identity` refuses."""
    if not may_reveal_identity(by):
        raise InventoryRefused("Only an approver or an admin reveals a tag code or a serial.")
    reason = (reason or "").strip()
    if not reason:
        raise InventoryRefused("Say why you need them (for example: reprinting a damaged label).")
    chassis = asset.device if isinstance(asset, Port) else asset
    link = {"port": asset} if isinstance(asset, Port) else {"device": asset}
    tag = Tag.objects.live().filter(**link).first()
    reported = (
        Discrepancy.objects.filter(kind="device_serial_disagrees", device=chassis)
        .order_by("-reported_at")
        .first()
    )
    what = ["serial", *(["tag"] if tag else []), *(["serial_reported_by_device"] if reported else [])]
    record("inventory.revealed", actor=by, obj=asset, payload={"what": what, "reason": reason[:300]})
    return Revealed(asset=asset, chassis=chassis, serial=chassis.serial, tag=tag, reported=reported)


def find_by_identity(query: str, *, by, reason: str, limit: int = 25) -> list[Revealed]:
    """The devices whose chassis serial is `query`, and the asset of the tag whose code it is, each revealed
    to `by` and recorded as `reveal_identity` does. A lookup by serial or code is a reveal: whether it finds
    anything confirms a serial or a code, so it is only for whom `may_reveal_identity` allows, on purpose,
    with a reason; nobody else's search ever matches them. InventoryRefused otherwise."""
    if not may_reveal_identity(by):
        raise InventoryRefused("Only an approver or an admin looks assets up by serial or tag code.")
    if not (reason or "").strip():
        raise InventoryRefused("Say why you need to look it up (for example: a support call about a serial).")
    query = (query or "").strip()
    assets: list[Device | Port] = []
    try:
        tag = Tag.objects.by_code(*codes.parse_any(query))
    except codes.BadCode:
        tag = None
    if tag is not None:
        assets.append(tag.asset)
    if query:
        assets += [
            d for d in Device.objects.filter(serial__iexact=query).order_by("name")[:limit] if d not in assets
        ]
    with transaction.atomic():
        return [reveal_identity(asset, by=by, reason=reason) for asset in assets[:limit]]
