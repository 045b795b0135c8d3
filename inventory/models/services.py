"""Customers and their services, with the devices and ports each service depends on."""

from __future__ import annotations

from django.db import models

from inventory.models.devices import Device
from inventory.models.ports import Port


class Customer(models.Model):
    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A customer service (a hosted site) and the devices and ports it depends on."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    public_name = models.CharField(max_length=200, blank=True, help_text="As shown on the public status page")
    sla_plan = models.CharField(max_length=50, blank=True)
    devices = models.ManyToManyField(Device, blank=True, related_name="services")
    ports = models.ManyToManyField(Port, blank=True, related_name="services")

    class Meta:
        ordering = ["customer", "name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="service_unique_per_customer"),
        ]

    def __str__(self) -> str:
        return self.public_name or self.name
