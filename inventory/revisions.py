"""Each site's inventory revision: bumped whenever what the blast radius reads changes at that site.

Saves and deletes through the ORM (the admin, model methods) bump it through the signals here. Bulk writes
(`bulk_create`, `QuerySet.update`) send no signals, so code that writes in bulk calls `bump_sites`
(inventory/models/sites.py) itself, as the importers and the demo loader do.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from inventory.models import Cable, Circuit, CircuitTermination, Device, Port, Service, bump_sites


def _sites_of_ports(port_ids: Iterable[int]) -> set[int]:
    return set(Port.objects.filter(pk__in=list(port_ids)).values_list("device__site_id", flat=True))


# A device moved to another site (or a port to another device) changes the site it left as well: the
# site it was at is read before the save and bumped after it, with the one it is at now.


@receiver(pre_save, sender=Device)
def _device_moving(sender, instance: Device, raw: bool = False, **kwargs) -> None:
    if instance.pk is not None and not raw:
        instance._site_before = (
            Device.objects.filter(pk=instance.pk).values_list("site_id", flat=True).first()
        )


@receiver([post_save, post_delete], sender=Device)
def _device_changed(sender, instance: Device, **kwargs) -> None:
    bump_sites([instance.site_id, instance.__dict__.pop("_site_before", None)])


def _site_of_device(device_id: int | None) -> int | None:
    return Device.objects.filter(pk=device_id).values_list("site_id", flat=True).first()


@receiver(pre_save, sender=Port)
def _port_moving(sender, instance: Port, raw: bool = False, **kwargs) -> None:
    if instance.pk is not None and not raw:
        before = Port.objects.filter(pk=instance.pk).values_list("device_id", flat=True).first()
        if before is not None and before != instance.device_id:
            instance._site_before = _site_of_device(before)


@receiver([post_save, post_delete], sender=Port)
def _port_changed(sender, instance: Port, **kwargs) -> None:
    bump_sites([_site_of_device(instance.device_id), instance.__dict__.pop("_site_before", None)])


@receiver(pre_delete, sender=Cable)
def _cable_removed(sender, instance: Cable, **kwargs) -> None:
    bump_sites(_sites_of_ports(instance.ends.values_list("pk", flat=True)))


@receiver(pre_delete, sender=Service)
def _service_removed(sender, instance: Service, **kwargs) -> None:
    sites = set(instance.devices.values_list("site_id", flat=True))
    sites |= _sites_of_ports(instance.ports.values_list("pk", flat=True))
    bump_sites(sites)


@receiver(m2m_changed, sender=Service.devices.through)
def _service_devices_changed(sender, instance, action: str, pk_set, **kwargs) -> None:
    if action in {"post_add", "post_remove", "pre_clear"}:
        if isinstance(instance, Service):
            ids = pk_set if pk_set else instance.devices.values_list("pk", flat=True)
            bump_sites(Device.objects.filter(pk__in=list(ids)).values_list("site_id", flat=True))
        else:
            bump_sites([instance.site_id])


@receiver(m2m_changed, sender=Service.ports.through)
def _service_ports_changed(sender, instance, action: str, pk_set, **kwargs) -> None:
    if action in {"post_add", "post_remove", "pre_clear"}:
        if isinstance(instance, Service):
            bump_sites(_sites_of_ports(pk_set if pk_set else instance.ports.values_list("pk", flat=True)))
        else:
            bump_sites([instance.device.site_id])


# A circuit joins the blast radiuses of the sites at its two ends: a change to it (or to either end) is a
# change at both.


def _sites_of_circuit(circuit_id: int | None) -> set[int]:
    ends = CircuitTermination.objects.filter(circuit_id=circuit_id)
    return set(ends.values_list("port__device__site_id", flat=True)) | set(
        ends.values_list("site_id", flat=True)
    )


@receiver(post_save, sender=Circuit)
def _circuit_changed(sender, instance: Circuit, **kwargs) -> None:
    bump_sites(_sites_of_circuit(instance.pk))


@receiver(pre_delete, sender=Circuit)
def _circuit_going(sender, instance: Circuit, **kwargs) -> None:
    bump_sites(_sites_of_circuit(instance.pk))


def _site_of_port(port_id: int | None) -> int | None:
    return Port.objects.filter(pk=port_id).values_list("device__site_id", flat=True).first()


@receiver(pre_save, sender=CircuitTermination)
def _circuit_end_moving(sender, instance: CircuitTermination, raw: bool = False, **kwargs) -> None:
    if instance.pk is not None and not raw:
        before = CircuitTermination.objects.filter(pk=instance.pk).values_list("port_id", "site_id").first()
        if before is not None:
            instance._sites_before = {_site_of_port(before[0]), before[1]}


@receiver([post_save, post_delete], sender=CircuitTermination)
def _circuit_end_changed(sender, instance: CircuitTermination, **kwargs) -> None:
    before = instance.__dict__.pop("_sites_before", set())
    bump_sites(
        _sites_of_circuit(instance.circuit_id) | {instance.site_id, _site_of_port(instance.port_id)} | before
    )
