"""The location families (MCLP, LSCP, p-median, p-center) and the revitalisation model."""

from optimizer.models.base import FacilitySpec, LocationModel
from optimizer.models.center import PCenter
from optimizer.models.coverage import MaxCoverage, MinFacilities
from optimizer.models.median import PMedian

#: scenario ``objective`` -> model class
LOCATION_MODELS: dict[str, type[LocationModel]] = {
    "max_coverage": MaxCoverage,
    "min_facilities": MinFacilities,
    "min_distance": PMedian,
    "min_max_distance": PCenter,
}

__all__ = [
    "LOCATION_MODELS",
    "FacilitySpec",
    "LocationModel",
    "MaxCoverage",
    "MinFacilities",
    "PCenter",
    "PMedian",
]
