#!/usr/bin/env python3
"""Writes examples/agencies.csv: about 90 real US local governments with approximate populations.
Every email and portal is at a reserved example.org domain, so nothing real is ever contacted."""
# name, state, kind, population, has_email
A = [
("Denver Public Schools","CO","school_district",715522),
("City and County of Denver","CO","city",715522),
("Boulder Valley School District","CO","school_district",330000),
("Jefferson County Public Schools","CO","school_district",582910),
("Portland Public Schools","OR","school_district",620000),
("City of Portland","OR","city",652503),
("Multnomah County","OR","county",815428),
("Salt Lake County","UT","county",1185238),
("Salt Lake City","UT","city",200133),
("Salt Lake City School District","UT","school_district",200133),
("City of Austin","TX","city",961855),
("Austin Independent School District","TX","school_district",800000),
("Harris County","TX","county",4731145),
("City of Houston","TX","city",2304580),
("Dallas Independent School District","TX","school_district",1304379),
("Montgomery County","MD","county",1062061),
("Montgomery County Public Schools","MD","school_district",1062061),
("Baltimore City","MD","city",585708),
("City of Pittsburgh","PA","city",302971),
("Allegheny County","PA","county",1250578),
("City of Philadelphia","PA","city",1603797),
("Pittsburgh Public Schools","PA","school_district",302971),
("Hennepin County","MN","county",1281565),
("City of Minneapolis","MN","city",429954),
("Saint Paul Public Schools","MN","school_district",311527),
("Los Angeles County","CA","county",10014009),
("City of San Diego","CA","city",1386932),
("City of Oakland","CA","city",440646),
("San Francisco Unified School District","CA","school_district",873965),
("City of Rutland","VT","city",15807),
("City of Burlington","VT","city",44743),
("City of Greensboro","NC","city",299035),
("City of Charlotte","NC","city",874579),
("Wake County","NC","county",1129410),
("City of Phoenix","AZ","city",1608139),
("Maricopa County","AZ","county",4420568),
("Tucson Unified School District","AZ","school_district",542629),
("City of Seattle","WA","city",737015),
("King County","WA","county",2269675),
("Seattle Public Schools","WA","school_district",737015),
("City of Chicago","IL","city",2746388),
("Cook County","IL","county",5275541),
("City of New York","NY","city",8804190),
("City of Buffalo","NY","city",278349),
("City of Boston","MA","city",675647),
("City of Cambridge","MA","city",118403),
("City of Atlanta","GA","city",498715),
("Fulton County","GA","county",1066710),
("Miami-Dade County","FL","county",2701767),
("City of Orlando","FL","city",307573),
("City of Columbus","OH","city",905748),
("Cuyahoga County","OH","county",1264817),
("City of Detroit","MI","city",639111),
("City of Ann Arbor","MI","city",123851),
("City of Milwaukee","WI","city",577222),
("Dane County","WI","county",561504),
("Kansas City","MO","city",508090),
("St. Louis County","MO","county",1004125),
("Metropolitan Government of Nashville and Davidson County","TN","city",689447),
("Shelby County","TN","county",929744),
("Louisville Metro Government","KY","city",633045),
("Fairfax County","VA","county",1150309),
("City of Richmond","VA","city",226610),
("City of Newark","NJ","city",311549),
("City of Albuquerque","NM","city",564559),
("Clark County","NV","county",2265461),
("Clark County School District","NV","school_district",2265461),
("City of Boise","ID","city",235684),
("City of Des Moines","IA","city",214133),
("City of Wichita","KS","city",397532),
("City of Omaha","NE","city",486051),
("City of Oklahoma City","OK","city",681054),
("City of New Orleans","LA","city",383997),
("City of Little Rock","AR","city",202591),
("City of Jackson","MS","city",153701),
("City of Birmingham","AL","city",200733),
("City of Charleston","SC","city",150227),
("City of Indianapolis","IN","city",887642),
("City of Hartford","CT","city",121054),
("City of Providence","RI","city",190934),
("City of Manchester","NH","city",115644),
("City of Portland","ME","city",68408),
("New Castle County","DE","county",570719),
("District of Columbia Public Schools","DC","school_district",689545),
("City of Charleston","WV","city",48864),
("City of Missoula","MT","city",73489),
("City of Cheyenne","WY","city",65132),
("City of Sioux Falls","SD","city",192517),
("City of Fargo","ND","city",125990),
("Municipality of Anchorage","AK","city",291247),
("City and County of Honolulu","HI","city",1016508),
]
assert len(A)==91, len(A)
A = [a for a in A if a[0] != "City of Cambridge"]
import csv, re, sys
SEATS = {
    "Denver Public Schools": "Denver", "Boulder Valley School District": "Boulder",
    "Jefferson County Public Schools": "Golden", "Portland Public Schools": "Portland",
    "Multnomah County": "Portland", "Salt Lake County": "Salt Lake City", "Salt Lake City": "Salt Lake City",
    "Salt Lake City School District": "Salt Lake City", "Austin Independent School District": "Austin",
    "Harris County": "Houston", "Dallas Independent School District": "Dallas", "Montgomery County": "Rockville",
    "Montgomery County Public Schools": "Rockville", "Baltimore City": "Baltimore", "Allegheny County": "Pittsburgh",
    "Pittsburgh Public Schools": "Pittsburgh", "Hennepin County": "Minneapolis",
    "Saint Paul Public Schools": "Saint Paul", "Los Angeles County": "Los Angeles",
    "San Francisco Unified School District": "San Francisco", "Wake County": "Raleigh",
    "Maricopa County": "Phoenix", "Tucson Unified School District": "Tucson", "King County": "Seattle",
    "Seattle Public Schools": "Seattle", "Cook County": "Chicago", "Fulton County": "Atlanta",
    "Miami-Dade County": "Miami", "Cuyahoga County": "Cleveland", "Dane County": "Madison",
    "Kansas City": "Kansas City", "St. Louis County": "Clayton",
    "Metropolitan Government of Nashville and Davidson County": "Nashville", "Shelby County": "Memphis",
    "Louisville Metro Government": "Louisville", "Fairfax County": "Fairfax", "Clark County": "Las Vegas",
    "Clark County School District": "Las Vegas", "New Castle County": "New Castle",
    "District of Columbia Public Schools": "Washington", "Municipality of Anchorage": "Anchorage",
    "City and County of Honolulu": "Honolulu", "City and County of Denver": "Denver",
}
def city_of(name):
    if name in SEATS:
        return SEATS[name]
    if name.startswith("City of "):
        return name[len("City of "):]
    raise SystemExit(f"no city for {name}")
streets = ["100 Main Street","1 City Hall Square","200 Civic Center Drive","500 Government Way","75 Court Street","1200 Education Avenue"]
def slug(s): return re.sub(r'[^a-z0-9]+','-',s.lower()).strip('-')
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["key","name","state","kind","population","email","portal_url","mailing_address","phone","contact_name","notes"])
for i,(name,st,kind,pop) in enumerate(A):
    key = slug(name)+"-"+st.lower()
    dom = slug(re.sub(r'^(City and County of|City of|Municipality of|Metropolitan Government of) ','',name)).replace('-','')[:24] + "-" + st.lower() + ".example.org"
    portal_only = i % 9 == 4
    email = "" if portal_only else f"records@{dom}"
    portal = f"https://{dom}/public-records" if (portal_only or i % 4 == 0) else ""
    addr = f"Public Records Office\n{streets[i%len(streets)]}\n{city_of(name)}, {st}"
    phone = f"555-01{i%100:02d}"
    notes = "Requests only through the online portal" if portal_only else ""
    w.writerow([key,name,st,kind,f"{pop:,}" if i%3==0 else pop,email,portal,addr,phone,"Records Custodian",notes])
